"""Face regions in XMP: read them from photos and sidecars, write them back.

Files in, records out: no library, no database. Regions are read and written with pyexiv2
(its wheel ships libexiv2, so nothing is compiled or installed beside pip), in the MWG
(``mwg-rs:Regions``) and Microsoft People Tags (``MP:RegionInfo``) forms, plus IPTC's
``PersonInImage`` names. Boxes are normalised; `orientation` maps them between the stored
image (what XMP speaks of, MWG guidelines 2.0 section 5.9) and the photo as a viewer shows it
(what facegraph stores).
"""
