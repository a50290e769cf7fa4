"""The media pipeline: every uploaded image is untrusted input.

Each use passes its own `limits.MediaLimits` (bytes, pixels, rendition sizes, file count, formats),
built from its app's settings; the protections are the same for all. Modules, one role each:

- `limits`: what one kind of upload may be.
- `checks`: the fast checks, no decode (size, sniffing, header: pixel count and animation, the
  container's structure); `check_uploads` raises InvalidInput naming the photo and the reason.
- `renditions`: the full decode and the re-encoding (upright, sRGB, no metadata, JPEG at each size).
- `hashing`: SHA-256 and the perceptual hash.
- `exif`: what the camera said (capture time, make and model, position), read in memory during the
  decode; the renditions never carry it, and callers keep what they derive (a distance), not it.
- `quarantine`: the private storage where originals wait, never served.
- `writer`: `PhotoWriter` stores files for rows made in a transaction and deletes them on failure.
- `pending`: rendering quarantined photo rows in a worker and filling them in.

The photos of a hazard report go through three steps, so that a report is answered quickly and
nothing is written unless every photo passes the checks that can be made without decoding:

1. In the request, `checks.check_uploads(files, limits=...)` runs the fast checks on every photo.
2. `PhotoWriter.write_original` keeps the uploaded bytes in the quarantine (`STORAGES["quarantine"]`)
   while the caller's transaction creates the photo rows in status `processing`; the files go
   again if it fails.
3. After the commit a Celery task (eager in embedded mode) runs `pending.render_pending` on the
   rows' originals, `PhotoWriter.write` stores the renditions, the row becomes `ready` (or
   `failed`, with the reason, when only the full decode finds the damage) and the original is
   deleted: only re-encoded pixels are ever served.

Single images (an inspection photo, a coupon image) skip the quarantine:
`renditions.process_upload` checks and renders in the request, and `PhotoWriter.write` stores them.
"""
