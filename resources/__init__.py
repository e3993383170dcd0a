"""Icons, stylesheets and desktop-entry templates, loaded with importlib.resources."""
