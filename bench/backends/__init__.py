"""Model backends: scripted policies, hf, vllm, openai, anthropic."""
