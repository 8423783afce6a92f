"""policy-pipeline: Chinese local-government policy notices → Parquet tables.

The stages, in order, are one module each: read → clean → normalize → structure →
segment (→ extract, in later versions) → tables (write). `pipeline.run` chains them.
"""

__version__ = "0.1.0"
