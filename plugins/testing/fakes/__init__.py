"""Fake servers of the vendors fithub ships providers for, speaking their documented wire formats."""
