"""The MuJoCo physics task: multiple-choice questions about rigid-body scenes, answerable with the scene tools."""
