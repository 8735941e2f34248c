try:
    from tutor.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python is still importing the CLI
    import sys

    sys.stderr.write("tutor: stopped.\n")
    raise SystemExit(130) from None

raise SystemExit(main())
