"""`ChineseTokenizer`: Rasa's JiebaTokenizer made safe for our customers' real messages.

Three differences from the parent, each for a failure we would otherwise ship:
- traditional input (手續費) is segmented as simplified (手续费), so one set of training data serves
  both; token offsets still point into the original text;
- whitespace tokens, which jieba emits for mixed text ("买1000股 ETF"), are dropped: they misalign
  entity annotations and break featurizers;
- `dictionary_path` must be an existing directory and its `*.txt` dictionaries are loaded once per
  process: the parent silently ignores a file path, and re-loading inflates jieba's global totals.

Dictionary files (data/jieba/userdict.txt) hold one "word freq pos" per line and no comments: jieba
would read a comment line as a word.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message

from bot.common.text import normalise
from bot.common.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

DICTIONARY_GLOB = "*.txt"

# jieba's dictionary is process-global: remember what is loaded by content, so loading the same
# dictionary again (a second component, a model reload, the copy inside a model archive) is a no-op.
_loaded_dictionaries: Set[str] = set()
_lock = threading.Lock()


def resolve_dictionary_dir(path: Optional[Text]) -> Optional[Path]:
    """The configured dictionary directory; relative paths are tried from the working directory,
    then from the project root (so `data/jieba` works wherever Rasa is started from)."""
    if path is None:
        return None
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        candidates.append(PROJECT_ROOT / path)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    if any(candidate.is_file() for candidate in candidates):
        raise InvalidConfigException(
            f"ChineseTokenizer: dictionary_path '{path}' is a file; it must be a directory of "
            f"jieba dictionaries ({DICTIONARY_GLOB}), e.g. data/jieba"
        )
    raise InvalidConfigException(f"ChineseTokenizer: dictionary_path '{path}' does not exist")


def load_user_dictionaries(directory: Path) -> int:
    """Loads every `*.txt` jieba dictionary in `directory` not loaded before; returns how many."""
    import jieba

    loaded = 0
    for file in sorted(directory.glob(DICTIONARY_GLOB)):
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        with _lock:
            if digest in _loaded_dictionaries:
                continue
            logger.info("Loading jieba user dictionary %s", file)
            jieba.load_userdict(str(file))
            _loaded_dictionaries.add(digest)
            loaded += 1
    return loaded


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class ChineseTokenizer(JiebaTokenizer):
    """Jieba with traditional → simplified normalisation, no blank tokens and a checked user dictionary."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTokenizer:
        directory = resolve_dictionary_dir(config.get("dictionary_path"))
        if directory is not None:
            load_user_dictionaries(directory)
            # Later steps (persist) read the path from the config: give them the one that exists.
            config = {**config, "dictionary_path": str(directory)}
        return cls(config, model_storage, resource)

    @staticmethod
    def _load_custom_dictionary(path: Text) -> None:
        """Used by the parent's `load` for the dictionaries packed into the model."""
        load_user_dictionaries(Path(path))

    @staticmethod
    def _copy_files_dir_to_dir(input_dir: Text, output_dir: Text) -> None:
        """Packs only the dictionaries into the model (a README or a subfolder would break loading)."""
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        for file in sorted(Path(input_dir).glob(DICTIONARY_GLOB)):
            shutil.copy2(file, output_dir)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = message.get(attribute) or ""
        normal = normalise(text)  # same length as `text`: offsets carry over unchanged
        tokens = []
        for word, start, _end in jieba.tokenize(normal):
            stripped = word.strip()
            if not stripped:
                continue
            start += len(word) - len(word.lstrip())
            tokens.append(Token(stripped, start))
        return self._apply_token_pattern(tokens)
