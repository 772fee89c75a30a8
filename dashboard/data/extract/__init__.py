"""Importing MASSAR extracts (../shared/massar-extract.md): files in, every row accounted for.

``format`` names the files, columns and reasons; ``files`` reads files into rows; the
``checks`` run in the database, set-wise; ``load`` writes an import; ``command`` is the
``python -m dashboard import`` door.
"""
