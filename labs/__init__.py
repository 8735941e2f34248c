"""The headless network core of tutor: capture, dissection, narration, the
trace model, the labs and the local servers they talk to.

Never imports Textual or `tutor`; heavy modules (scapy) are imported only by
the modules that need them, so `import labs` stays cheap.
"""
