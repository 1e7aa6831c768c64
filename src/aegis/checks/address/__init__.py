"""Proof of address: utility bills and bank statements."""
