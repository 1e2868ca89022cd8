"""Django-free tooling for the public site: the content git repository and site builds.

`content_repo` needs only GitPython; `site_build` is the one module that imports MkDocs,
and only inside its functions that build.
"""
