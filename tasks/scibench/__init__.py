"""scibench_tool: SciBench textbook problems (Wang et al.) in their stated units, with or without a Python tool."""
