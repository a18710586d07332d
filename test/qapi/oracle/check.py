# Runs QEMU's own QAPI schema checker on many schemas in one Python process: the oracle of the differential test
# (test/qapi/differential.test.ts). Written for this project; it only imports QEMU's checker, which is test data in
# test/fixtures/qemu-master/scripts/qapi (GPL-2.0, see the README there), and never copies its code.
#
#   python3 test/qapi/oracle/check.py QEMU_SCRIPTS_DIR < paths.json > verdicts.json
#
# stdin: a JSON list of schema files. stdout: a JSON list with, per file, null when QEMU's checker (the QAPISchema
# class that qapi-gen builds before it generates any code) accepts it, else the error text it would print.
import json
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the fixture folder
sys.path.insert(0, sys.argv[1])

from qapi.error import QAPIError  # noqa: E402
from qapi.schema import QAPISchema  # noqa: E402

verdicts = []
for path in json.load(sys.stdin):
    try:
        QAPISchema(path)
        verdicts.append(None)
    except QAPIError as err:
        verdicts.append(str(err))
json.dump(verdicts, sys.stdout)
