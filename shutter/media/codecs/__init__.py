"""The media codec engine: bytes in, checked facts or encoded variants out.

Sniffing by magic bytes (`sniff`), photos with libvips (`images`), HEIC with libheif
(`heic`), GIF parsing (`gif`) and video with ffprobe/ffmpeg (`video`). Pure and blocking:
no database, no storage, no settings; callers pass limits in and run it in a worker thread.
"""
