"""The four data-protection strategies (and the ``none`` baseline) behind one interface."""
