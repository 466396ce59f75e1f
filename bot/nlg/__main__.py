from bot.nlg.server import main

main()
