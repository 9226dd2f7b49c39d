"""The assistant's knowledge: the source article, its sections, and the tumour vocabulary.

Answer texts themselves live in ``domain.yml`` (responses); each names the article section it
comes from in ``metadata.source``, and the tests check that claim against ``article.py``.
"""
