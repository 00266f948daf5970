"""``xltools generate`` — placeholder until the generate command lands."""
