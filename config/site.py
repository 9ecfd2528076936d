"""The web shell: viewflow's frontend Site with the project's applications."""
