"""Feed jobs: fan-out of new posts and back-fill after a follow."""
