"""Rule tests: every rule's documented examples, the rule files and the docs generated from them."""
