"""`make demo`: the main job on the embedded synthetic data (filled in by the demo issue)."""
import sys

sys.exit('make demo: the end-to-end demo (synthetic data -> train -> evaluate -> infer) '
         'is not implemented yet; see issue 6.')
