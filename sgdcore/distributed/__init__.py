"""Data larger than memory, on a Dask cluster: load it, solve it exactly, and train SGD on it.

A folder or glob of CSV or Parquet files is read as row partitions (a byte range of a CSV file, a row
group of a Parquet file), each read and cleaned on a worker; the data never comes to the client.

- :func:`load` makes one pass over the files: it reads numbers written as spreadsheets write them (``1.234,5``,
  ``638,05 €``, a few cells such as ``#DIV/0!`` among them), Excel's ``sep=;`` first line and title lines above a
  header as :func:`sgdcore.read_table` does, and checks every column as :func:`sgdcore.dataset_from_frame`
  does (missing values, text columns, infinite values, the same choices and messages, each naming the file
  and the line), and it sums the sufficient statistics of least squares (:class:`Moments`: count, means and
  centred co-moments of ``[x, y]``), merged pairwise as Chan, Golub and LeVeque do. Cleaning that needs
  the whole data first (column means to impute, one-hot categories) costs a second pass.
- :func:`closed_form` solves the ``(d+1)``-sized system on the client: the exact least-squares answer with no
  further pass, or, for ill-conditioned data, one pass of dask.array's tall-skinny QR.
- The same statistics give the Hessian, the stability limits and the loss as a quadratic
  (:meth:`Moments.quadratic_loss`, :func:`sgdcore.curvature`), so the loss after an epoch costs O(d²).
- :func:`train` runs sgdcore's minibatch SGD kernel over the partitions: the O(d) state (weights,
  velocity, step, random generator) travels to each partition in a seeded random order per epoch, the rows
  are shuffled within it, and it yields the :class:`sgdcore.Progress` snapshots of :func:`sgdcore.train`.

With no configuration, :func:`connect` starts a local cluster of worker processes; the environment variable
``SGD_DASHBOARD_SCHEDULER=tcp://host:8786`` connects to a running one instead. ``import sgdcore`` does not
import this package (nor Dask).

The modules, in the order a run uses them:

- ``cluster``: :func:`connect` and :func:`shutdown`.
- ``files``: the files at a path and their partitions (:class:`Piece`, :func:`inspect`), reading one piece.
- ``plan``: cleaning spread over partitions: each one scanned, one :class:`Plan` for all, applied on the workers.
- ``moments``: the sufficient statistics (:class:`Moments`) and their pairwise merge.
- ``loading``: :func:`load` and the :class:`DistributedData` it returns.
- ``exact``: :func:`closed_form`, from the statistics or by a tall-skinny QR.
- ``training``: :func:`train`, SGD over the partitions.
"""

from sgdcore.distributed.cluster import SCHEDULER_VARIABLE, connect, shutdown
from sgdcore.distributed.cluster import _clients as _clients  # the clients connect() keeps, for tests to forget one
from sgdcore.distributed.exact import CONDITION_LIMIT, closed_form
from sgdcore.distributed.files import EXTENSIONS, PARTITION_BYTES, Piece, Source, inspect
from sgdcore.distributed.loading import DistributedData, load
from sgdcore.distributed.moments import Moments
from sgdcore.distributed.plan import Plan
from sgdcore.distributed.training import READ_AHEAD, train

__all__ = [
    "CONDITION_LIMIT", "EXTENSIONS", "PARTITION_BYTES", "READ_AHEAD", "SCHEDULER_VARIABLE", "DistributedData",
    "Moments", "Piece", "Plan", "Source", "closed_form", "connect", "inspect", "load", "shutdown", "train",
]
