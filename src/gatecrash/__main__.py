from gatecrash.cli import main

main()
