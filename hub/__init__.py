"""Rabt's hub: the application, the shared identity, access control, audit and composition."""
