"""What the council app's pages show, read from the stores: health, actions, SVG charts."""
