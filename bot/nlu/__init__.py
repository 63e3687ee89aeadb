"""Our Rasa NLU graph components for Chinese (tokenizer, securities entity extractor) and their helpers.

Import the components by module path in config.yml (`bot.nlu.tokenizer.ChineseTokenizer`,
`bot.nlu.entities.SecuritiesEntityExtractor`); this package itself imports nothing heavy so that
`bot.nlu.numbers` can be used without loading Rasa.
"""
