"""Local stand-ins for Sage Intacct and LeanIX that speak the real protocols, over real HTTP."""
