"""The comparison the plain-PyTorch references share (ncf_reference.py, multvae_reference.py): each
tensor of the C++ side against the reference's within a tolerance relative to max(1, |reference|),
and the verdict, which must be a mismatch when the C++ side altered a value on purpose."""


class ParityCheck:
    def __init__(self, tolerance):
        self.tolerance = tolerance
        self.failures, self.worst, self.compared = [], 0.0, 0

    def check(self, label, ours, theirs):
        """ours: the reference's tensor; theirs: the C++ side's."""
        self.compared += 1
        if ours.shape != theirs.shape:
            self.failures.append(f"{label}: shape {tuple(ours.shape)} vs {tuple(theirs.shape)}")
            return
        diff = (ours.double() - theirs.double()).abs().max().item() if ours.numel() else 0.0
        self.worst = max(self.worst, diff)
        if diff > self.tolerance * max(1.0, theirs.double().abs().max().item()):
            self.failures.append(f"{label}: max difference {diff:.3g}")

    def report(self, title, expect_mismatch, detail):
        """Prints '<title> (<n> tensors): <verdict>; <detail>' (and the failures where they
        matter); returns the exit code: 0 when the outcome is as expected."""
        good = bool(self.failures) if expect_mismatch else not self.failures
        verdict = ("mismatch detected as expected" if expect_mismatch and good else
                   "altered value NOT detected" if expect_mismatch else
                   f"match, worst difference {self.worst:.3g}" if good else "MISMATCH")
        print(f"{title} ({self.compared} tensors): {verdict}; {detail}")
        if not good or expect_mismatch:
            for failure in self.failures:
                print(f"  {failure}")
        return 0 if good else 1
