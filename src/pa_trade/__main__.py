from pa_trade.cli import main

main()
