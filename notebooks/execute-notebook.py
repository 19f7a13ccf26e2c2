"""Executes one notebook headless with the tslab kernel; on failure prints the failing cell and its stderr.

nbconvert reports only "<Error>" for a failing tslab cell (tslab writes the real message to the cell's stderr),
so this runs the cells one by one with nbclient and shows what went wrong. Usage: execute-notebook.py IN.ipynb OUT.ipynb
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target = sys.argv[1], sys.argv[2]
nb = nbformat.read(source, as_version=4)
# The kernel's working directory is the notebook's folder, as in Jupyter.
client = NotebookClient(nb, kernel_name="tslab", timeout=300,
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}})
status = 0
with client.setup_kernel():
    for index, cell in enumerate(nb.cells):
        try:
            client.execute_cell(cell, index)
        except CellExecutionError:
            output = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            print(f"{source}: cell {index} failed:\n{cell.source}\n--- its output ---\n{output}", file=sys.stderr)
            status = 1
            break
nbformat.write(nb, target)
sys.exit(status)
