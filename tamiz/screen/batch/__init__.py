"""Batch screening of customer files: CSV, JSON lines, Parquet in; one row per hit out.

`screen_file` streams the input in chunks through a pool of workers, writes
results in input order with a checkpoint after every chunk (so an interrupted
run resumes without losing or repeating a row), and can write an HTML report.
`screen_rows` screens rows already in memory with one screener.
"""

from tamiz.screen.batch.mapping import ColumnMapping, MappingError
from tamiz.screen.batch.pool import OpenScreener
from tamiz.screen.batch.readers import InputError
from tamiz.screen.batch.rows import screen_rows
from tamiz.screen.batch.run import BatchInterrupted, BatchSummary, screen_file
from tamiz.screen.batch.writers import HIT_COLUMNS, OutputError

__all__ = ["screen_file", "screen_rows", "BatchSummary", "ColumnMapping", "OpenScreener", "HIT_COLUMNS",
           "BatchInterrupted", "InputError", "MappingError", "OutputError"]
