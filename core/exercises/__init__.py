"""Exercise catalog: the public catalog shipped as data, custom exercises, typo-tolerant search."""
