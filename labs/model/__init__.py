"""The trace model every lab produces and every screen renders: packets, layers
and fields (`trace`), the timing waterfall built from them (`waterfall`), the
errors a lab reports (`errors`) and the cheap immutable base they share
(`frozen`). Imports nothing else from `labs`.
"""
