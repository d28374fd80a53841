"""ASF HyP3 on demand (``interferogram.engine: hyp3``): one job per pair (per slice pair of
multi-slice passes), found again rather than resubmitted, waited for, downloaded, verified, and
read through the ``layout: hyp3`` reader of :mod:`massmove.files`."""
