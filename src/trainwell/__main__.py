"""``python -m trainwell ...`` (and ``torchrun --nproc_per_node N -m trainwell fit ...``): the command line."""

from trainwell.cli.app import main

if __name__ == "__main__":
    main()
