"""The size caps a loader checks before it allocates or inflates anything.

They are module attributes, so a user with a legitimately larger file raises one for the
session: ``ember.saving.limits.MAX_WEIGHTS_BYTES = 200 << 30``. Every refusal names the cap.

Example:
    >>> from ember.saving import limits
    >>> limits.MAX_CONFIG_BYTES // (1 << 20), limits.MAX_TENSORS
    (3, 32768)
"""

# config.json: real models' configs are kilobytes (a 50-layer ResNet's is about 200 KB); JSON
# parsed into Python objects takes up to ~10x its size
MAX_CONFIG_BYTES = 3 << 20  # ~4,700 Dense layers; parsed, at most ~40 MB
MAX_JSON_DEPTH = 100            # nesting of lists and objects in config.json and headers
MAX_ZIP_ENTRIES = 16            # an .ember file holds 2; a few more get a clear "unexpected"
MAX_CENTRAL_DIRECTORY_BYTES = 1 << 20
MAX_WEIGHTS_BYTES = 64 << 30    # the weights entry / .safetensors file, uncompressed
# A deflated entry inflating more than this many times its compressed size is a zip bomb
# (float weights barely compress; ember itself stores entries uncompressed)
MAX_COMPRESSION_RATIO = 100
MAX_HEADER_BYTES = 8 << 20      # a safetensors header (JSON): ~100 bytes per tensor
MAX_TENSORS = 32768  # tensors in one weights file (weights and optimizer slots): 30 MB to parse
MAX_NDIM = 32                   # dimensions of one tensor
# Values in the zeros a layer without compute_output_shape is probed with while a model is
# rebuilt (32 MB of float32; a 16-frame 224x224 video clip is 2.4 M)
MAX_PROBE_ELEMENTS = 1 << 23

__all__ = ["MAX_CONFIG_BYTES", "MAX_JSON_DEPTH", "MAX_ZIP_ENTRIES",
           "MAX_CENTRAL_DIRECTORY_BYTES", "MAX_WEIGHTS_BYTES", "MAX_COMPRESSION_RATIO",
           "MAX_HEADER_BYTES", "MAX_TENSORS", "MAX_NDIM", "MAX_PROBE_ELEMENTS"]
