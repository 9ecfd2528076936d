"""The child's chronology: one timeline across every case of theirs the user may see.

- `entries`: the kinds of entry, an entry, the scope a source reads;
- `sources`: one query per source, and the registry an app above cases adds its own to
  (assessments does, from its `AppConfig.ready()`);
- `timeline`: the kinds and dates asked for, and the entries merged in order;
- `render`: CSV and PDF;
- `export`: the audited export.
"""
