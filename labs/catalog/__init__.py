"""One folder per lab. Each folder holds `spec.py` (the lab as the learner
sees it: id, title, options; cheap to import), `run.py` (the run and its
explanation) and what else that lab needs (its server, its words). A lab
imports only `labs.kit` and the contract modules, never another lab."""
