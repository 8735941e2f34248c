"""The office gateway forwards the laptop's packets without translating its
private address (no NAT rule): answers can never come back."""
