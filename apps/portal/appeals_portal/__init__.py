"""The citizen's portal: submit, follow and judge an appeal from a phone's browser."""
