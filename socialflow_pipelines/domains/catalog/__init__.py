"""The app's content items (posts, comments, videos): what every domain reads and scores."""
