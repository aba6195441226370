"""The executors 'workspace: employees of executor organisations answer their appeals in a browser."""
