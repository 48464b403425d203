"""Take your data: an account's archive (export) and Mastodon's follow/block/mute lists
(import). Above every service it reads (it builds on accounts, graph, posts, media)."""
