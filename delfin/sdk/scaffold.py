"""The driver scaffold: a new driver package, ready to install and check.

`create` renders the templates of ``delfin/sdk/templates/driver/`` into a
folder named after the distribution.  The package it makes is a complete,
pip-installable driver for an imaginary REST backend: the driver, its
backend client with recorded-answer replay, mapping tables, recorded
fixtures, sample access information and traps, tests and a README.  Once
installed it passes ``delfin-driver check`` on its sample data, and each
file says where to change it for the real backend.

Templates are plain files ending in ``.tmpl``; ``{{name}}`` placeholders
are replaced by the values of `names`, and a path segment
``__package__`` becomes the Python package name.
"""
import os
import re

TEMPLATE_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             'templates', 'driver')
SUFFIX = '.tmpl'
PACKAGE_SEGMENT = '__package__'

# Vendor and model words become an entry point name, a TOML key and file
# names: keep them to characters that need no quoting anywhere.
_WORD = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
_PLACEHOLDER = re.compile(r'\{\{(\w+)\}\}')


def _identifier(word):
    return re.sub(r'[^0-9a-zA-Z]+', '_', word).strip('_').lower()


def _camel(word):
    return ''.join(part.capitalize()
                   for part in re.split(r'[^0-9a-zA-Z]+', word) if part)


def names(vendor, model):
    """The names derived from a vendor and a model.

    :raises ValueError: a word is empty or holds characters other than
        letters, digits, ``_``, ``.`` and ``-``.
    """
    for label, word in (('vendor', vendor), ('model', model)):
        if not _WORD.match(word or ''):
            raise ValueError(
                '%s %r: use letters, digits, "_", "." and "-" only, starting '
                'with a letter or digit' % (label, word))
    package = 'delfin_driver_%s_%s' % (_identifier(vendor),
                                       _identifier(model))
    class_name = _camel(vendor) + _camel(model) + 'Driver'
    if not class_name[0].isalpha():
        class_name = 'Storage' + class_name
    return {
        'vendor': vendor,
        'model': model,
        'entry_point': '%s %s' % (vendor, model),
        'package': package,
        'dist': package.replace('_', '-'),
        'class_name': class_name,
    }


def render(text, values):
    """Replace ``{{name}}`` placeholders; an unknown name is an error."""
    def replace(match):
        key = match.group(1)
        if key not in values:
            raise KeyError('unknown template placeholder {{%s}}' % key)
        return values[key]
    return _PLACEHOLDER.sub(replace, text)


def template_files():
    """Relative paths of every template file."""
    found = []
    for folder, dirs, files in os.walk(TEMPLATE_ROOT):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(files):
            if name.endswith(SUFFIX):
                found.append(os.path.relpath(os.path.join(folder, name),
                                             TEMPLATE_ROOT))
    return found


def create(vendor, model, parent='.'):
    """Create the package of driver ``"<vendor> <model>"`` under `parent`.

    :returns: the path of the new folder.
    :raises ValueError: bad vendor or model words.
    :raises FileExistsError: the folder exists already (nothing is
        overwritten).
    """
    values = names(vendor, model)
    target = os.path.join(os.path.abspath(parent), values['dist'])
    if os.path.exists(target):
        raise FileExistsError('%s exists already' % target)
    rendered = []
    for relative in template_files():
        with open(os.path.join(TEMPLATE_ROOT, relative),
                  encoding='utf-8') as f:
            text = render(f.read(), values)
        out = relative[:-len(SUFFIX)].replace(PACKAGE_SEGMENT,
                                              values['package'])
        rendered.append((out, text))
    for relative, text in rendered:
        path = os.path.join(target, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    return target
