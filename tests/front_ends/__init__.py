"""Front ends under test: the CLI, the pre-commit hook, the GitHub Action, the release step."""
