"""IntentClassifier's own configuration: the regularisation Rasa's parent class does not expose."""
from bot.nlu.intent_classifier import IntentClassifier


def test_regularisation_is_configurable_and_defaults_to_the_cross_validated_value(
    model_storage, resource, execution_context
):
    default = IntentClassifier.create(IntentClassifier.get_default_config(), model_storage, resource, execution_context)
    assert default.clf.C == 10.0
    config = {**IntentClassifier.get_default_config(), "C": 3}
    assert IntentClassifier.create(config, model_storage, resource, execution_context).clf.C == 3.0
