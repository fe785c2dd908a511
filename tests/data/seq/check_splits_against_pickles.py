"""Compares rsdist's valid/test splits with GCL4SR's valid.pkl/test.pkl.

Usage: check_splits_against_pickles.py VALID_PKL VALID_DUMP TEST_PKL TEST_DUMP

Each pickle is a tuple of four equally long lists (user ids, item prefixes, targets, prefix
lengths), one entry per user. Each dump has one line per example, written by the C++ test:
"user target prefix_length i1,i2,...". Exits 0 when both pairs are equal entry for entry, else
prints the first differences and exits 1.
"""
import pickle
import sys


def read_dump(path):
    users, prefixes, targets, lengths = [], [], [], []
    with open(path) as f:
        for line_number, line in enumerate(f, 1):
            fields = line.split()
            if len(fields) not in (3, 4):
                raise SystemExit(f"{path}:{line_number}: expected 'user target length items'")
            users.append(int(fields[0]))
            targets.append(int(fields[1]))
            lengths.append(int(fields[2]))
            prefixes.append([int(x) for x in fields[3].split(",")] if len(fields) == 4 else [])
    return users, prefixes, targets, lengths


def compare(pickle_path, dump_path):
    with open(pickle_path, "rb") as f:
        expected = pickle.load(f)
    actual = read_dump(dump_path)
    if not isinstance(expected, tuple) or len(expected) != 4:
        print(f"{pickle_path}: expected a tuple of 4 lists, got {type(expected).__name__}")
        return False
    ok = True
    for name, want, got in zip(("user_id", "prefix", "target", "length"), expected, actual):
        want = [list(x) if isinstance(x, (list, tuple)) else int(x) for x in want]
        if len(want) != len(got):
            print(f"{pickle_path}: {name}: {len(want)} entries in the pickle, {len(got)} in rsdist")
            ok = False
            continue
        mismatches = [i for i, (w, g) in enumerate(zip(want, got)) if w != g]
        if mismatches:
            i = mismatches[0]
            print(f"{pickle_path}: {name}: {len(mismatches)} differences; first at entry {i}: "
                  f"pickle {want[i]!r}, rsdist {got[i]!r}")
            ok = False
    if ok:
        print(f"{pickle_path}: {len(actual[0])} entries equal")
    return ok


def main(argv):
    if len(argv) != 5:
        raise SystemExit(__doc__)
    valid_ok = compare(argv[1], argv[2])
    test_ok = compare(argv[3], argv[4])
    return 0 if valid_ok and test_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
