"""math_tool: numeric MATH problems (Hendrycks et al.), answered with or without a sandboxed Python tool."""
