"""bench/peer_wheels.py without a network: a wheel whose package reaches the
path through a .pth file (as the CUTLASS DSL's does), repacked as .tar.xz,
and a plain wheel beside it are unpacked once into a site directory
outside DIR (which travels to the GPU machine): both import; a second
install reuses the unpacked tree."""

import os
import sys
import zipfile

sys.path.insert(0, sys.argv[1])
import peer_wheels  # noqa: E402

directory = sys.argv[2]
os.makedirs(directory)
with zipfile.ZipFile(os.path.join(directory, "deep-1.0-py3-none-any.whl"), "w") as w:
    w.writestr("deep.pth", "deep_libs/python_packages\n")
    w.writestr("deep_libs/python_packages/deep_pkg/__init__.py", "VALUE = 'through .pth'\n")
    w.writestr("deep-1.0.dist-info/METADATA", "Name: deep\n")
with zipfile.ZipFile(os.path.join(directory, "plain-1.0-py3-none-any.whl"), "w") as w:
    w.writestr("plain_pkg.py", "VALUE = 'plain'\n")
peer_wheels._repack(os.path.join(directory, "deep-1.0-py3-none-any.whl"))
print("stored:", sorted(os.listdir(directory)))

site_dir = peer_wheels.install(directory)
print("outside the artifacts:", not site_dir.startswith(directory))
stamp = os.path.getmtime(os.path.join(site_dir, ".installed"))
import deep_pkg  # noqa: E402
import plain_pkg  # noqa: E402
print("imported:", deep_pkg.VALUE, plain_pkg.VALUE)
peer_wheels.install(directory)
print("second install unpacks again:", os.path.getmtime(os.path.join(site_dir, ".installed"))
      != stamp)
print("empty directory:", peer_wheels.install(os.path.join(directory, "missing")))
