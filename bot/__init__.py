"""券商营业部智能客服 — the assistant's library (knowledge base, fees, store, NLU, channels)."""
