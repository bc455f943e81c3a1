"""One module per family; each exposes `build(ctx: LabContext) -> list[LabServer]`."""
