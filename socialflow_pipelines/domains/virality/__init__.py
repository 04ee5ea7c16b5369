"""Viral prediction: the model learned from matured items, predictions for young ones."""
